import type { AnyStateMachine } from 'xstate';

/**
 * A Mermaid state diagram read off the machine itself, so the picture in docs/ cannot say
 * anything the machine does not. Self-transitions are listed, with their guards, as notes.
 */
export function lifecycleDiagram(machine: AnyStateMachine): string {
  const lines = ['stateDiagram-v2', `    [*] --> ${machine.root.initial?.target[0]?.key ?? machine.config.initial}`];
  for (const node of Object.values(machine.root.states)) {
    const stays: string[] = [];
    for (const [eventType, transitions] of node.transitions) {
      for (const transition of transitions) {
        const guard = transition.guard ? ` [${typeof transition.guard === 'string' ? transition.guard : (transition.guard as { type: string }).type}]` : '';
        const target = transition.target?.[0];
        if (target && target.key !== node.key) lines.push(`    ${id(node.key)} --> ${id(target.key)} : ${eventType}${guard}`);
        else stays.push(`${eventType}${guard}`);
      }
    }
    if (node.type === 'final') lines.push(`    ${id(node.key)} --> [*]`);
    if (stays.length) lines.push(`    note right of ${id(node.key)}`, ...stays.map((s) => `        ${s}`), '    end note');
  }
  const renames = Object.keys(machine.root.states).filter((key) => key !== id(key));
  return [...lines, ...renames.map((key) => `    ${id(key)} : ${key}`)].join('\n') + '\n';
}

/** Mermaid state ids cannot hold a hyphen; the label keeps the real name. */
function id(key: string): string {
  return key.replace(/-/g, '_');
}

/** The whole docs/lifecycle.md page around the diagram. */
export function lifecycleDocument(machine: AnyStateMachine): string {
  return [
    '# Ticket lifecycle',
    '',
    'Generated from `state-machines/recovery-ticket.machine.ts` by `npm run diagram`; a test fails when',
    'this file and the machine disagree. Guards are in brackets; steps that keep the state are notes.',
    '',
    '```mermaid',
    lifecycleDiagram(machine).trimEnd(),
    '```',
    '',
  ].join('\n');
}
