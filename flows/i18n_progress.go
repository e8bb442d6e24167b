package flows

import "strconv"

// progressWords says how far the patient is through the run, for /status.
func (p *Protocol) progressWords(s Session) string {
	return fill(p.Messages.ProgressSoFar, "n", strconv.Itoa(len(s.Answers)))
}
