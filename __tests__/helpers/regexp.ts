/**
 * A long regular expression written in pieces: their sources joined in order, so each piece stays
 * within the line limit. The pieces' flags are not carried over (none of the tests' pieces has any).
 */
export const regExp = (...pieces: RegExp[]) => new RegExp(pieces.map((p) => p.source).join(""));
