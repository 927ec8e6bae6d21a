// A process shaped like the worker at the moment that mattered: shutdown listeners installed at
// start, then an execa child (as Helm runs) alive when SIGTERM arrives. It prints `ready` once the
// child runs and `drained` from its shutdown, then exits 0 after stopping the child.
import { execa } from 'execa';
import { onShutdownSignal } from '../../../../src/composition/shutdown-signals.ts';

onShutdownSignal(
  () => {
    child.kill('SIGTERM');
    void child.then(() => {
      process.stdout.write('drained\n');
      process.exit(0);
    });
  },
  () => process.exit(1),
);
// Declared after the listeners on purpose: signal-exit must load after them, as with Helm.
const child = execa('sleep', ['30'], { reject: false });
child.on('spawn', () => process.stdout.write('ready\n'));
await child;
