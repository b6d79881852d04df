import { hash } from 'node:crypto';
import type { Actor, NewEvent, RecordedEvent } from '@reclaim/event-store';

/** What a decider emits: the fact's type and data. The handler adds ids and metadata. */
export interface DecidedEvent<T extends string = string, D = unknown> {
  type: T;
  data: D;
}

/** The envelope a decider folds: stored events, or decided ones about to be stored. */
export interface FoldableEvent {
  type: string;
  data: unknown;
  metadata?: { causationId?: string; occurredAt?: string; actor?: Actor };
  revision?: bigint;
}

/** Who sent a command, and the ids that tie its events together and make retries idempotent. */
export interface CommandMeta {
  /** Unique per command: a retry with the same id is applied once. */
  commandId: string;
  actor: Actor;
  correlationId?: string;
}

/**
 * Event ids derived from the command id: a retried command produces the same ids, and the store
 * treats the re-append as the no-op it is.
 */
export function eventIdFor(commandId: string, stream: string, index: number): string {
  const hex = hash('sha256', `${commandId}\u0000${stream}\u0000${index}`, 'hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * One command may write to several streams, or twice to one; each write gets its own id derived
 * from the command's, so that each is de-duplicated on its own.
 */
export function subCommand(meta: CommandMeta, part: string): CommandMeta {
  return { ...meta, commandId: `${meta.commandId}:${part}` };
}

export const SCHEMA_VERSION = 1;

export function toNewEvents(stream: string, decided: DecidedEvent[], meta: CommandMeta, occurredAt: Date): NewEvent[] {
  return decided.map((event, index) => ({
    id: eventIdFor(meta.commandId, stream, index),
    type: event.type,
    data: event.data,
    metadata: {
      actor: meta.actor,
      correlationId: meta.correlationId ?? meta.commandId,
      causationId: meta.commandId,
      occurredAt: occurredAt.toISOString(),
      schemaVersion: SCHEMA_VERSION,
    },
  }));
}

export type StoredEvent = RecordedEvent;
