# A run that diverges (an absurd LR makes the loss NaN or inf by its second step), under both
# nan_policy settings: stop reports the step, the LR and the last finite loss and ends with 1;
# skip drops the updates of the non-finite steps with a warning each and ends the run once
# more than nan_skip_limit of them come in a row.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
make_dataset data 4 16 4
common=(--data_root data --epochs 1 "${TINY[@]}" --set lr=1e30 --set log_every_n_steps=1
        --set checkpoint_every_minutes=0)
report='the training loss is -?(nan|inf) at step [0-9]+ \(epoch 0, lr [^)]+\); the last finite loss was [-0-9.e+]+ at step [0-9]+'

run_expect 1 stop.txt -- "$BIN" --output_dir stop "${common[@]}"
grep -qE "$report\. The run diverged" stop.txt || { fail "stop: no report"; tail -5 stop.txt >&2; }
expect_in_file stop.txt "nan_policy: skip"

run_expect 1 skip.txt -- "$BIN" --output_dir skip "${common[@]}" --set nan_policy=skip \
  --set nan_skip_limit=3
skipped=$(grep -cE "$report: NaN or inf gradients, the update is skipped" skip.txt)
[[ $skipped -eq 3 ]] || { fail "skip: $skipped skipped steps reported, expected 3"; tail -8 skip.txt >&2; }
expect_in_file skip.txt "4 steps in a row had NaN or inf gradients, more than nan_skip_limit (3)"
finish
