// What every part of the console shares: the user, reference data loaded
// once after login, and an event bus for websocket messages and changes.
import { api } from "./api.js";

export const state = {
  me: null, // GET /me
  catalogue: [], // top-level categories with children
  departments: [], // every department
  queues: [], // routing queues from the websocket session
  reasons: ["break", "meal", "training", "meeting"],
  skew: 0, // server clock minus ours, in ms
};

export const bus = new EventTarget();

export function emit(type, detail) {
  bus.dispatchEvent(new CustomEvent(type, { detail }));
}

export function on(type, fn) {
  bus.addEventListener(type, (ev) => fn(ev.detail));
}

export const role = () => state.me?.role;
export const isAgent = () => role() === "agent";
export const isOverseer = () => role() === "admin" || role() === "supervisor";
export const isStaff = () => ["admin", "supervisor", "agent"].includes(role());
export const isDepartment = () => role() === "department";

// now is the server's current time in ms, as well as we know it.
export const now = () => Date.now() + state.skew;

// loadReference loads the catalogue and the departments; failures leave
// the lists empty (the forms then accept free text).
export async function loadReference() {
  const [cat, deps] = await Promise.allSettled([api("/catalogue"), api("/departments")]);
  state.catalogue = cat.status === "fulfilled" ? cat.value.categories || [] : [];
  state.departments = deps.status === "fulfilled" ? deps.value.items || [] : [];
}

export function departmentName(code) {
  if (!code) return "";
  const d = state.departments.find((x) => x.code === code);
  return d ? d.name : code;
}

export function categoryName(code) {
  if (!code) return "";
  for (const c of state.catalogue) {
    if (c.code === code) return c.name;
    for (const s of c.children || []) if (s.code === code) return `${c.name} / ${s.name}`;
  }
  return code;
}
