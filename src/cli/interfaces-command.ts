import { ExitCode } from '../capture/errors.js';
import { listInterfaces } from '../capture/live.js';
import { parseOrUsage } from './args.js';

export const INTERFACES_HELP = `Usage: ackscope interfaces [--json]

Lists the interfaces libpcap can capture on (name, addresses, description), for --iface.
  --json    one JSON object per interface
Exit status: 0 ok, 69 libpcap or the cap binding missing.
`;

export function interfacesCommand(argv: string[]): number {
  const { values } = parseOrUsage({ args: argv, options: { help: { type: 'boolean', short: 'h' }, json: { type: 'boolean' } } }, 'interfaces');
  if (values.help) {
    process.stdout.write(INTERFACES_HELP);
    return ExitCode.Ok;
  }
  for (const i of listInterfaces()) {
    if (values.json) process.stdout.write(`${JSON.stringify(i)}\n`);
    else process.stdout.write(`${i.name.padEnd(16)} ${i.addresses.join(', ').padEnd(40)} ${i.loopback ? 'loopback ' : ''}${i.description ?? ''}\n`);
  }
  return ExitCode.Ok;
}
