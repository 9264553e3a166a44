/**
 * Docs coverage (rlax docs/ext/coverage_check.py, made a test): every symbol exported from a public entry has JSDoc,
 * and so does every public method of an exported class. The barrels use explicit named re-exports (no `export *`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ENTRIES = ['src/index.ts', 'envs/index.ts', 'src/node/index.ts'].filter((e) => existsSync(join(ROOT, e)));

function program(): ts.Program {
  return ts.createProgram(
    ENTRIES.map((e) => join(ROOT, e)),
    {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      strict: true,
      skipLibCheck: true,
      noEmit: true,
    },
  );
}

function hasDoc(decl: ts.Declaration): boolean {
  return ts.getJSDocCommentsAndTags(decl).length > 0;
}

/** Exported names whose declarations (or, for classes, public methods) carry no JSDoc. */
function undocumented(): Record<string, string[]> {
  const prog = program();
  const checker = prog.getTypeChecker();
  const out: Record<string, string[]> = {};
  for (const entry of ENTRIES) {
    const sf = prog.getSourceFile(join(ROOT, entry));
    if (!sf) throw new Error(`cannot load ${entry}`);
    const moduleSymbol = checker.getSymbolAtLocation(sf);
    const missing: string[] = [];
    for (const exp of moduleSymbol ? checker.getExportsOfModule(moduleSymbol) : []) {
      const sym = exp.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exp) : exp;
      const decls = sym.getDeclarations() ?? [];
      if (decls.length === 0 || !decls.some(hasDoc)) missing.push(exp.getName());
      for (const d of decls) {
        if (!ts.isClassDeclaration(d)) continue;
        for (const m of d.members) {
          const isPrivate = ts.getCombinedModifierFlags(m) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected);
          const name = m.name && ts.isIdentifier(m.name) ? m.name.text : undefined;
          if (!name || isPrivate || name.startsWith('#') || ts.isConstructorDeclaration(m)) continue;
          if ((ts.isMethodDeclaration(m) || ts.isPropertyDeclaration(m) || ts.isGetAccessor(m)) && !hasDoc(m)) {
            missing.push(`${exp.getName()}.${name}`);
          }
        }
      }
    }
    out[entry] = missing;
  }
  return out;
}

describe('public API', () => {
  it('the barrels use explicit named re-exports, never `export *`', () => {
    for (const entry of ENTRIES) {
      const code = readFileSync(join(ROOT, entry), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      expect(code, entry).not.toMatch(/export\s+\*/);
    }
  });

  it('every export of every public entry has JSDoc (and so do public class members)', () => {
    const missing = undocumented();
    for (const entry of ENTRIES) expect(missing[entry], `${entry}: exports without JSDoc`).toEqual([]);
  }, 120_000);
});
