import type { Clock } from '../shared/clock';

/** A clock that tests move by hand. */
export class TestClock implements Clock {
  constructor(private current = new Date('2026-03-01T09:00:00Z')) {}
  now(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}
