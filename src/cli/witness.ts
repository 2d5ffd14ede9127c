// `crossroads witness --hub URL --key FILE [--name NAME] [--state FILE]`: one witnessing round.
// Exit 0 when it cosigned, 1 when it refused (a fork, a rollback, a changed key), 2 on bad usage.
import { parseArgs } from 'node:util';
import { witnessOnce } from '../log/index.ts';

export async function runWitnessCommand(args: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      hub: { type: 'string' },
      key: { type: 'string' },
      name: { type: 'string' },
      state: { type: 'string' },
    },
  });
  if (!values.hub || !values.key) {
    console.error('usage: crossroads witness --hub URL --key FILE [--name NAME] [--state FILE]');
    return 2;
  }
  const outcome = await witnessOnce({
    hub: values.hub,
    keyPath: values.key,
    ...(values.name ? { name: values.name } : {}),
    ...(values.state ? { statePath: values.state } : {}),
  });
  console.log(JSON.stringify(outcome));
  return outcome.status === 'cosigned' ? 0 : 1;
}
