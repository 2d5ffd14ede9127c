// The National Register's demo source in a process of its own (bench/exchange.ts).
import { demoInstitution, generatePeople, startSourceServer } from '../src/demo/index.ts';
import { newSecret } from '../src/kernel/index.ts';

const people = generatePeople(1000);
const byInsz = new Map(people.map((p) => [p.insz, p]));
const token = newSecret();
const server = await startSourceServer({
  token,
  port: 0,
  handlers: {
    'nr.identity': (r) => {
      const p = byInsz.get(r.insz);
      if (!p) return undefined;
      const { lastName, firstNames, birthDate, sex, nationality, civilStatus, address, identityCardNumber } =
        p;
      return {
        lastName,
        firstNames,
        birthDate,
        sex,
        nationality,
        civilStatus,
        address,
        identityCardNumber,
        deathDate: null,
      };
    },
  },
});
console.log(`READY ${JSON.stringify({ url: server.url, token, kbo: demoInstitution('nr').kbo })}`);
process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
