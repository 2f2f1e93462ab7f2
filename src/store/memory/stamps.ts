import { epochMillis } from '../../clock.js';

/** Strictly increasing microsecond stamps, like Redis TIME but never repeating. */
export class Stamps {
  private last = 0;

  next(): number {
    this.last = Math.max(this.last + 1, epochMillis() * 1000);
    return this.last;
  }
}
