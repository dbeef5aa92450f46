// Fixture: not named *.bft.ts, so discovery must never import it.
throw new Error("not_a_task.ts must not be imported");
