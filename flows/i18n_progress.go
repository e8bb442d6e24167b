package flows

import (
	"slices"
	"strconv"
)

// Progress: each question of a check or questionnaire says where the
// patient is ("Question 3 of 8"). The count so far is the items answered in
// this run, so it follows the branch actually taken; what is left is the
// path from the current item by each item's next, plus the screens not yet
// asked, which are asked whatever the answers.

// position is the current item's number and the run's expected total.
func (p *Protocol) position(f *Flow, s Session, it *Item) (n, total int) {
	answered := map[string]bool{}
	for _, a := range s.Answers {
		answered[a.Item] = true
	}
	delete(answered, it.ID) // a re-measure asks the same item again
	ahead := map[string]bool{}
	if s.Finishing == nil { // after a hold or end only the screens remain
		for cur := it; cur != nil && !ahead[cur.ID] && !answered[cur.ID]; cur = f.Item(f.nextOf(cur)) {
			ahead[cur.ID] = true
		}
	}
	ahead[it.ID] = true
	for _, sc := range pendingScreens(f, s) {
		ahead[sc.ID] = true
	}
	return len(answered) + 1, len(answered) + len(ahead)
}

// nextOf is the item that follows it when no rule branches.
func (f *Flow) nextOf(it *Item) string {
	if it.Next != "" {
		return it.Next
	}
	i := slices.Index(f.Items, it)
	if i < 0 || i+1 >= len(f.Items) {
		return GotoEnd
	}
	return f.Items[i+1].ID
}

// promptAt is the item's prompt with the patient's place in the run.
func (p *Protocol) promptAt(f *Flow, s Session, it *Item) Reply {
	r := p.prompt(s.Run, it)
	if n, total := p.position(f, s, it); total > 1 {
		r.Text = p.progress(n, total) + "\n" + r.Text
	}
	return r
}

func (p *Protocol) progress(n, total int) string {
	return fill(p.Messages.Progress, "n", strconv.Itoa(n), "total", strconv.Itoa(total))
}

// progressWords says how far the patient is through the run, for /status.
func (p *Protocol) progressWords(s Session) string {
	f := p.Flow(s.Flow)
	if f != nil {
		if it := f.Item(s.State); it != nil {
			n, total := p.position(f, s, it)
			return fill(p.Messages.StatusProgress, "n", strconv.Itoa(n), "total", strconv.Itoa(total), "answered", strconv.Itoa(len(s.Answers)))
		}
	}
	return fill(p.Messages.ProgressSoFar, "n", strconv.Itoa(len(s.Answers)))
}
