// EventSequencer applies a list's events at most once and in seq order.
// An event whose predecessor has not arrived waits in a buffer; while a
// snapshot loads (hold), everything waits, and reset(seq) then drops what
// the snapshot already contains and applies the rest in order.

export interface Sequenced {
  seq: number;
}

export class EventSequencer<E extends Sequenced> {
  private last = 0;
  private holding = true;
  private readonly buffer = new Map<number, E>();

  constructor(private readonly apply: (ev: E) => void) {}

  // lastSeq is the seq of the last event applied (or of the snapshot).
  get lastSeq(): number {
    return this.last;
  }

  // hasGap reports events waiting for a seq that has not arrived (not
  // counting those held while a snapshot loads).
  get hasGap(): boolean {
    return !this.holding && this.buffer.size > 0;
  }

  // hold makes every event wait, while a snapshot is loading.
  hold(): void {
    this.holding = true;
  }

  // reset starts after a snapshot taken at seq. It returns how many buffered
  // events were applied.
  reset(seq: number): number {
    this.last = seq;
    this.holding = false;
    return this.drain();
  }

  // push takes one event (live, or from JoinList's missed) and returns how
  // many events it could apply: 0 when it is a duplicate or must wait.
  push(ev: E): number {
    if (!Number.isInteger(ev.seq)) return 0;
    if (!this.holding && ev.seq <= this.last) return 0;
    this.buffer.set(ev.seq, ev);
    return this.drain();
  }

  private drain(): number {
    if (this.holding) return 0;
    for (const s of [...this.buffer.keys()]) if (s <= this.last) this.buffer.delete(s);
    let n = 0;
    for (let ev = this.buffer.get(this.last + 1); ev; ev = this.buffer.get(this.last + 1)) {
      this.buffer.delete(ev.seq);
      this.last = ev.seq;
      this.apply(ev);
      n++;
    }
    return n;
  }
}
