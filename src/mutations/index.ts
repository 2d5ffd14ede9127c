// Change push (automatic communication of changes): authentic sources publish changes, the hub
// fans them out to every subscribed, registered and authorised institution, by push or pull.
export { ChangePush } from './change-push.ts';
export type { ChangePushOptions } from './change-push.ts';
export { changeRoutes } from './routes.ts';
export type { ChangeRouteDeps } from './routes.ts';
export { loadOrCreateDeliveryKey, publicJwks } from './delivery-key.ts';
export type { DeliveryKey } from './delivery-key.ts';
export { contentDigest, signRequest, verifyRequest } from './signature.ts';
export {
  CHANGE_KINDS,
  changeEvent,
  keepOnly,
  relevantOn,
  retryDelayMs,
  selectRecipients,
  subscriptionAuthorised,
} from './rules.ts';
export type {
  CapacityRef,
  ChangeEvent,
  ChangeKind,
  FanOutInput,
  PersonRegistration,
  Recipient,
  RetryPolicy,
  Subscription,
} from './rules.ts';
export type { Accepted, ChangeView, PublishInput } from './outbox.ts';
export type { DeliverySettings, DeliveryMode } from './subscriptions.ts';
export type { FeedPage, OutgoingDelivery, Settled } from './ledger.ts';
