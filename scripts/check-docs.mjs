#!/usr/bin/env node
/**
 * Checks the TSDoc of every public API, from the JSON model that typedoc writes next to
 * the site (docs/api/api.json, see docs/typedoc.json). typedoc's own validation already
 * fails on an undocumented export; this adds what it does not check:
 *
 * | declaration                  | summary | @param each | @returns (unless void) | @example |
 * | ---------------------------- | ------- | ----------- | ---------------------- | -------- |
 * | function                     | yes     | yes         | yes                    | yes      |
 * | class                        | yes     |             |                        | yes      |
 * | constructor                  |         | yes         |                        |          |
 * | class method                 | yes     | yes         | yes                    | yes (1)  |
 * | interface method             | yes     | yes         |                        |          |
 *
 * (1) A method without parameters may rely on its class's example.
 *
 * Members inherited from a base class, and class methods that implement an interface
 * member, are checked where they are declared. `@throws` cannot be checked mechanically
 * (whether a function throws is not in its type); review it by hand.
 *
 * It also checks that every guide in docs/guides/ is on the site: docs/typedoc.json lists
 * the guides one by one (to order them), so a new guide must be added there.
 *
 * Usage: node scripts/check-docs.mjs [path/to/api.json]
 * Exit status: 0 when every check passes, 1 with one line per problem otherwise.
 */

import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// typedoc's ReflectionKind values (stable across 0.2x).
const Kind = {
  Project: 1,
  Module: 2,
  Function: 64,
  Class: 128,
  Interface: 256,
  Constructor: 512,
  Method: 2048,
};

const jsonPath = process.argv[2] ?? fileURLToPath(new URL('../docs/api/api.json', import.meta.url));
let project;
try {
  project = JSON.parse(readFileSync(jsonPath, 'utf8'));
} catch (error) {
  console.error(`check-docs: cannot read ${jsonPath}: ${error.message}`);
  console.error('check-docs: run typedoc first (npm run docs does both).');
  process.exit(1);
}

const problems = [];
let checked = 0;

/** Plain text of a comment's summary (or a tag's content). */
function text(parts) {
  return (parts ?? [])
    .map((part) => part.text)
    .join('')
    .trim();
}

function hasTag(comment, tag) {
  return (comment?.blockTags ?? []).some((block) => block.tag === tag && text(block.content) !== '');
}

/** Whether a signature's return type says it returns nothing. */
function returnsNothing(type) {
  if (type === undefined) return true;
  if (type.type === 'intrinsic') return type.name === 'void' || type.name === 'undefined';
  if (type.type === 'union') return type.types.every(returnsNothing);
  if (type.type === 'reference' && (type.name === 'Promise' || type.name === 'Awaitable')) {
    const [inner] = type.typeArguments ?? [];
    return inner === undefined || returnsNothing(inner);
  }
  return false;
}

/**
 * Checks each signature of one callable against `rules`: `summary`, `returns` and
 * `example` are booleans; an example may also come from the declaration or, when
 * `ownerExample` is set and the signature takes no parameters, from the owner.
 */
function checkCallable(reflection, where, rules) {
  for (const signature of reflection.signatures ?? []) {
    checked += 1;
    const comment = signature.comment ?? reflection.comment;
    const parameters = signature.parameters ?? [];
    if (rules.summary && text(comment?.summary) === '') problems.push(`${where}: no summary`);
    for (const parameter of parameters) {
      if (text(parameter.comment?.summary) === '') {
        problems.push(`${where}: parameter "${parameter.name}" is not described (@param)`);
      }
    }
    if (rules.returns && !returnsNothing(signature.type) && !hasTag(comment, '@returns')) {
      problems.push(`${where}: no @returns`);
    }
    if (rules.example) {
      const own = hasTag(comment, '@example') || hasTag(reflection.comment, '@example');
      if (!own && !(rules.ownerExample && parameters.length === 0)) problems.push(`${where}: no @example`);
    }
  }
}

/** Checks the constructors and methods of a class or an interface. */
function checkMembers(owner, where, isInterface) {
  const ownerExample = hasTag(owner.comment, '@example');
  for (const member of owner.children ?? []) {
    if (member.inheritedFrom !== undefined) continue; // checked where it is declared
    if (member.flags?.isPrivate || member.flags?.isProtected) continue;
    // A class method implementing an interface member is documented (and checked) there.
    if (member.implementationOf !== undefined) continue;
    const memberWhere = `${where}.${member.name}`;
    if (member.kind === Kind.Constructor) {
      checkCallable(member, memberWhere, { summary: false, returns: false, example: false });
    } else if (member.kind === Kind.Method && isInterface) {
      checkCallable(member, memberWhere, { summary: true, returns: false, example: false });
    } else if (member.kind === Kind.Method) {
      checkCallable(member, memberWhere, { summary: true, returns: true, example: true, ownerExample });
    }
  }
}

function walk(reflection, path) {
  for (const child of reflection.children ?? []) {
    const where = [...path, child.name].join('.');
    switch (child.kind) {
      case Kind.Module:
        walk(child, [...path, child.name]);
        break;
      case Kind.Function:
        checkCallable(child, where, { summary: true, returns: true, example: true, ownerExample: false });
        break;
      case Kind.Class:
        checked += 1;
        if (text(child.comment?.summary) === '') problems.push(`${where}: no summary`);
        if (!hasTag(child.comment, '@example')) problems.push(`${where}: no @example`);
        checkMembers(child, where, false);
        break;
      case Kind.Interface:
        checkMembers(child, where, true);
        break;
      default:
        break;
    }
  }
}

walk(project, []);

// Every guide must be a document of the site.
const siteFiles = new Set(Object.values(project.files?.entries ?? {}));
const guidesDir = new URL('../docs/guides/', import.meta.url);
for (const name of readdirSync(guidesDir).filter((file) => file.endsWith('.md'))) {
  if (!siteFiles.has(`docs/guides/${name}`)) {
    problems.push(`docs/guides/${name} is not on the site: add it to projectDocuments in docs/typedoc.json`);
  }
}

if (checked === 0) {
  console.error(`check-docs: found nothing to check in ${jsonPath}`);
  process.exit(1);
}
if (problems.length > 0) {
  for (const problem of problems) console.error(`check-docs: ${problem}`);
  console.error(`check-docs: ${problems.length} problem(s) in ${checked} signatures and classes checked`);
  process.exit(1);
}
console.log(
  `check-docs: ${checked} signatures and classes checked: summaries, @param, @returns and @example present`,
);
