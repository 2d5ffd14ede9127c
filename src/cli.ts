// `crossroads <command>`: start the hub, check identifiers, verify the exchange log.
import { parseArgs } from 'node:util';
import { runDemoCommand } from './cli/demo.ts';
import { runDirectoryCommand } from './cli/directory.ts';
import { runIdCommand } from './cli/id.ts';
import { runLogCommand } from './cli/log.ts';
import { runWitnessCommand } from './cli/witness.ts';
import { runStartCommand } from './cli/start.ts';

const USAGE = `usage: crossroads <command>

  start [--demo]          run the hub (with --demo: the demo network on embedded SQLite)
  id <number>             check an INSZ, BIS or KBO number; prints JSON, exits 1 when invalid
  log verify [--db PATH|URL] [--vkey KEY]
                          recompute the whole log (records, tree, checkpoints); exit 1 at the first fault
  log verify-proof FILE   check one entry of /me/accesses offline (inclusion proof + signed checkpoint)
  witness --hub URL --key FILE [--name NAME] [--state FILE]
                          check the hub's newest checkpoint against the last one seen, then cosign it
  demo change <insz> [--death]
                          the running demo's National Register publishes a move (or a death) of the person
  directory import FILE [--institution KBO] [--format csv|ndjson] [--rejects PATH] [--again]
                          load registrations from CSV or NDJSON; bad lines to FILE.rejects.csv; resumable
  directory export FILE [--institution KBO] [--format csv|ndjson] [--active-on DATE]
                          write registrations in the format import reads

Configuration comes from CROSSROADS_* environment variables (see README.md).`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start': {
      const { values } = parseArgs({ args: rest, options: { demo: { type: 'boolean', default: false } } });
      return runStartCommand({ demo: values.demo });
    }
    case 'id':
      return runIdCommand(rest);
    case 'log':
      return runLogCommand(rest);
    case 'witness':
      return runWitnessCommand(rest);
    case 'demo':
      return runDemoCommand(rest);
    case 'directory':
      return runDirectoryCommand(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    default:
      console.error(`unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== -1) process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  },
);
