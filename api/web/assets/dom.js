// A small helper to build elements without innerHTML: text is always text,
// so nothing the API answers can become markup (and the CSP forbids inline
// script anyway).
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

let ids = 0;
// A labelled form field: <label for> and the input, with an optional hint
// tied to it by aria-describedby.
export function field(label, attrs = {}, hint) {
  const id = attrs.id || `f${++ids}`;
  const hintId = hint ? `${id}-hint` : undefined;
  const input = h(attrs.tag || 'input', { ...attrs, tag: undefined, id, 'aria-describedby': hintId });
  return h('div', { class: 'field' }, h('label', { for: id }, label), input,
    hint ? h('small', { id: hintId }, hint) : null);
}
