// The broker: authenticate → validate → decide → route → forward → filter → log → answer.
export { Broker } from './broker.ts';
export type { BrokerDeps, ExchangeAnswer } from './broker.ts';
export { exchangeRoutes } from './routes.ts';
export type { ExchangeRouteDeps } from './routes.ts';
export { callableServices } from './catalogue.ts';
export { askedPeriod, keepFields } from './request.ts';
export type { ExchangeRequestBody } from './request.ts';
export { providerIds } from './routing.ts';
