// imagenet_train: trains ResNet classifiers on ImageNet-style folders. See README.md.
#include "imagenet/cli/cli.h"

int main(int argc, char** argv) {
  return imagenet::cli_main(argc, argv);
}
