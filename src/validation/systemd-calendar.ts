/**
 * systemd OnCalendar values, in a restricted form that systemd parses (systemd.time(7), "Calendar
 * Events"): a shorthand (minutely, hourly, daily, weekly, monthly, quarterly, semiannually,
 * yearly, annually), or "[weekdays] DATE TIME" with DATE = Y-M-D and TIME = h:m[:s], each
 * component "*", a number, a range "a..b", a repetition "a/b" or "*" "/b", or a comma list of
 * those; weekdays Mon..Sun (ranges and lists). Anything else (time zones, "~" last-day-of-month,
 * "every hour") is refused, so a schedule never silently fails to load on the node.
 */
export const CALENDAR_SHORTHANDS: readonly string[] = Object.freeze([
  "minutely",
  "hourly",
  "daily",
  "weekly",
  "monthly",
  "quarterly",
  "semiannually",
  "yearly",
  "annually",
]);

const DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

function component(text: string, min: number, max: number, wildcard = true): boolean {
  return text.split(",").every((part) => {
    const m = /^(\*|\d+)(?:\.\.(\d+))?(?:\/(\d+))?$/.exec(part);
    if (!m) return false;
    if (m[1] === "*") return wildcard && m[2] === undefined && (m[3] === undefined || Number(m[3]) >= 1);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (a < min || b > max || a > b) return false;
    return m[3] === undefined || Number(m[3]) >= 1;
  });
}

function weekdays(text: string): boolean {
  return text.split(",").every((part) => {
    const [a, b, ...rest] = part.split("..");
    return rest.length === 0 && DAYS.includes(a) && (b === undefined || DAYS.includes(b));
  });
}

/** Why `value` is not an OnCalendar value of the accepted form, or undefined when it is one. */
export function onCalendarProblem(value: string): string | undefined {
  const why =
    'is not a systemd OnCalendar value of the accepted form: a shorthand (hourly, daily, ...) or "[Mon..Sun] *-*-* hh:mm[:ss]" with numbers, *, a..b, a/b or lists, e.g. "*-*-* 00/6:00:00"';
  if (CALENDAR_SHORTHANDS.includes(value)) return undefined;
  const words = value.split(" ");
  if (words.some((w) => w === "")) return why;
  const [dayPart, date, time] = words.length === 3 ? words : [undefined, ...words];
  if (words.length < 2 || words.length > 3 || date === undefined || time === undefined) return why;
  if (dayPart !== undefined && !weekdays(dayPart)) return why;
  const d = date.split("-");
  if (d.length !== 3 || !component(d[0], 1970, 2199) || !component(d[1], 1, 12) || !component(d[2], 1, 31)) return why;
  const t = time.split(":");
  if (t.length < 2 || t.length > 3 || !component(t[0], 0, 23) || !component(t[1], 0, 59) || (t[2] !== undefined && !component(t[2], 0, 59))) return why;
  return undefined;
}
