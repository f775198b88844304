package app

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// Progress draws "label: done/total" on one terminal line, rewritten at
// most every 100 ms. Off a terminal it draws nothing: the command prints
// its summary line instead, so logs and scripts get one line, not many.
type Progress struct {
	w     io.Writer
	label string
	total int
	on    bool

	mu    sync.Mutex
	done  int
	drawn time.Time
}

// Progress starts progress for total steps (0: unknown) on Stderr.
func (a *App) Progress(label string, total int) *Progress {
	return &Progress{w: a.Stderr, label: label, total: total, on: a.Terminal || IsTerminal(a.Stderr)}
}

// Add counts n more steps done.
func (p *Progress) Add(n int) {
	if p == nil || !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += n
	if time.Since(p.drawn) < 100*time.Millisecond && p.done != p.total {
		return
	}
	p.drawn = time.Now()
	if p.total > 0 {
		fmt.Fprintf(p.w, "\r\033[K%s: %d/%d (%d%%)", p.label, p.done, p.total, p.done*100/p.total)
	} else {
		fmt.Fprintf(p.w, "\r\033[K%s: %d", p.label, p.done)
	}
}

// Done clears the progress line (call it before printing the summary;
// calling it again does nothing).
func (p *Progress) Done() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.on {
		fmt.Fprint(p.w, "\r\033[K")
		p.on = false
	}
}
