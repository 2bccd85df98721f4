// Generates src/generated from the program's Anchor IDL (idl/usd1.json)
// with Codama: `npm run generate`. CI runs it and fails on any difference
// from what is committed. Each event is also rendered as a type (its
// discriminator a hidden prefix), so its data decodes as the program
// emits it.
import { readFileSync } from 'node:fs';
import { definedTypeNode } from '@codama/nodes';
import { rootNodeFromAnchor } from '@codama/nodes-from-anchor';
import { renderVisitor } from '@codama/renderers-js';
import { visit } from '@codama/visitors-core';

const idl = JSON.parse(readFileSync(new URL('../../idl/usd1.json', import.meta.url), 'utf8'));
const root = rootNodeFromAnchor(idl);
const events = root.program.events.map((event) =>
  definedTypeNode({ name: `${event.name}Event`, type: event.data, docs: event.docs ?? [] }),
);
const program = { ...root.program, definedTypes: [...root.program.definedTypes, ...events] };
const generated = new URL('./src/generated', import.meta.url).pathname;
await visit({ ...root, program }, renderVisitor(generated));
