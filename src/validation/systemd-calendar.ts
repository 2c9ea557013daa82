/**
 * systemd OnCalendar values, in a restricted form that systemd parses (systemd.time(7), "Calendar
 * Events"): a shorthand (minutely, hourly, daily, weekly, monthly, quarterly, semiannually,
 * yearly, annually), or "[weekdays] [DATE] TIME" with DATE = *-M-D (the year is "*": a backup
 * schedule recurs) and TIME = h:m[:s], each component "*", a number, a range "a..b", a
 * repetition "a/b" or "*" "/b", or a comma list of those; weekdays Mon..Sun (ascending ranges and
 * lists). A day that no month of the date has (*-02-30) is refused too, since systemd loads it
 * and never fires it. Anything else (time zones, "~" last-day-of-month, "every hour") is refused,
 * so a schedule never silently fails to load, or to run, on the node.
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
    // systemd refuses a range that wraps (Fri..Mon).
    return rest.length === 0 && DAYS.includes(a) && (b === undefined || DAYS.indexOf(b) >= DAYS.indexOf(a));
  });
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The numbers a component names (undefined for "*" and repetitions, which match whatever exists). */
function values(text: string): number[] | undefined {
  const out: number[] = [];
  for (const part of text.split(",")) {
    const m = /^(\d+)(?:\.\.(\d+))?$/.exec(part);
    if (!m) return undefined;
    for (let v = Number(m[1]); v <= Number(m[2] ?? m[1]); v++) out.push(v);
  }
  return out;
}

/** Whether some month of the date has some day of it (a day the months never have: never fires). */
function dayExists(month: string, day: string): boolean {
  const months = values(month);
  const days = values(day);
  if (!months || !days) return true;
  return days.some((d) => months.some((m) => d <= DAYS_IN_MONTH[m - 1]));
}

/** Why `value` is not an OnCalendar value of the accepted form, or undefined when it is one. */
export function onCalendarProblem(value: string): string | undefined {
  const why =
    'is not a systemd OnCalendar value of the accepted form: a shorthand (hourly, daily, ...) or "[Mon..Sun] ' +
    '[*-MM-DD] hh:mm[:ss]" with numbers, *, a..b, a/b or lists, e.g. "*-*-* 00/6:00:00" or "Mon..Fri 02:30"';
  if (CALENDAR_SHORTHANDS.includes(value)) return undefined;
  const words = value.split(" ");
  if (words.some((w) => w === "") || words.length > 3) return why;
  const time = words[words.length - 1];
  const rest = words.slice(0, -1);
  const dayPart = rest.length && !rest[0].includes("-") ? rest.shift() : undefined;
  const date = rest.shift();
  if (rest.length) return why;
  if (dayPart !== undefined && !weekdays(dayPart)) return why;
  if (date !== undefined) {
    const d = date.split("-");
    if (d.length !== 3 || d[0] !== "*" || !component(d[1], 1, 12) || !component(d[2], 1, 31) || !dayExists(d[1], d[2]))
      return why;
  }
  const t = time.split(":");
  if (
    t.length < 2 ||
    t.length > 3 ||
    !component(t[0], 0, 23) ||
    !component(t[1], 0, 59) ||
    (t[2] !== undefined && !component(t[2], 0, 59))
  )
    return why;
  return undefined;
}
