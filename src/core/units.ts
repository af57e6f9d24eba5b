// Units of loss. Losses are stored in nats (as PyTorch's cross-entropy returns them) and shown in bits, as
// the paper plots them (DESIGN.md, conventions): the one conversion constant lives here.

/** Nats in one bit: ln 2. A loss in nats divided by this is the loss in bits. */
export const NATS_PER_BIT = Math.LN2;

/** A loss in nats, in bits. */
export function natsToBits(nats: number): number {
  return nats / NATS_PER_BIT;
}
