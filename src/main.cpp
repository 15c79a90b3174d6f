// imagenet_train: trains ResNet classifiers on ImageNet-style folders. See README.md.
#include "imagenet/app/app.h"

int main(int argc, char** argv) {
  return imagenet::app_main(argc, argv);
}
