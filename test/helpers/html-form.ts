import { parse } from 'parse5';

interface Node {
  nodeName: string;
  attrs?: { name: string; value: string }[];
  childNodes?: Node[];
  value?: string;
}

function walk(node: Node, visit: (node: Node) => void): void {
  visit(node);
  for (const child of node.childNodes ?? []) walk(child, visit);
}

const attr = (node: Node, name: string) => node.attrs?.find((a) => a.name === name)?.value;

/**
 * Parses a page as a browser does (parse5 implements the HTML standard) and
 * returns its forms, the fields a browser would submit, and the scripts.
 */
export function readPage(html: string) {
  const forms: { method?: string; action?: string; fields: [string, string][] }[] = [];
  const scripts: string[] = [];
  walk(parse(html) as unknown as Node, (node) => {
    if (node.nodeName === 'form') {
      const fields: [string, string][] = [];
      walk(node, (inner) => {
        if (inner.nodeName === 'input' && attr(inner, 'name') !== undefined) {
          fields.push([attr(inner, 'name')!, attr(inner, 'value') ?? '']);
        }
      });
      forms.push({ method: attr(node, 'method'), action: attr(node, 'action'), fields });
    }
    if (node.nodeName === 'script') scripts.push((node.childNodes ?? []).map((c) => c.value ?? '').join(''));
  });
  return { forms, scripts };
}
