//go:build race

package bot

// raceEnabled says the race detector is on: it allocates where the
// program does not, so allocation counts are not checked.
const raceEnabled = true
