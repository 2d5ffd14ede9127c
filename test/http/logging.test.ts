// Process logs never show a national number: the request serializer drops query strings and masks
// long digit runs however they are separated or percent-encoded (parseInsz accepts all of these).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loggablePath } from '../../src/http/index.ts';
import { parseInsz } from '../../src/kernel/index.ts';

const INSZ = '63031609887';

const cases: { url: string; want: string }[] = [
  { url: `/v1/directory/registrations?insz=${INSZ}`, want: '/v1/directory/registrations?…' },
  { url: `/public/authorisations/${INSZ}`, want: '/public/authorisations/***' },
  { url: '/x/63.03.16-098.87', want: '/x/***' },
  { url: '/x/6.3031609887', want: '/x/***' },
  { url: '/x/63+03+16+098+87', want: '/x/***' },
  { url: '/x/63%2E03%2E16-098%2E87', want: '/x/***' },
  { url: '/x/63%2003%2016%20098%2087', want: '/x/***' },
  {
    url: '/v1/exchanges/01a22afe-5bb8-7e0d-ac65-c6b51f29ae0c',
    want: '/v1/exchanges/01a22afe-5bb8-7e0d-ac65-c6b51f29ae0c',
  },
  { url: '/public/authorisations/IVC/KSZG/19/123', want: '/public/authorisations/IVC/KSZG/19/123' },
];

for (const { url, want } of cases) {
  test(`logged as ${want}: ${url}`, () => {
    assert.equal(loggablePath(url), want);
  });
}

test('every separated form above is an INSZ the hub would accept', () => {
  for (const form of ['63.03.16-098.87', '6.3031609887', '63 03 16 098 87']) {
    assert.equal(parseInsz(form).ok, true, form);
  }
});

test('a broken percent-encoding does not throw and still masks', () => {
  assert.equal(loggablePath('/x/%E0%A4%A/63031609887'), '/x/..%A/***');
});
