package main

import (
	"io"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
)

// Progress is shown only for work that lasts: the bar appears after
// progressDelay and is redrawn every progressTick.
const (
	progressDelay = 300 * time.Millisecond
	progressTick  = 100 * time.Millisecond
)

// progress shows the progress of one piece of long work on stderr. Its
// counters are atomic, so the work updates them cheaply from any goroutine;
// a goroutine of its own draws the bar. When stderr is not a terminal, or
// with -q, nothing is drawn and the methods only count.
type progress struct {
	done, total atomic.Int64
	stop        chan struct{}
	finished    chan struct{}
}

// progressOpts says what a bar shows: bytes, a count of steps, or (with
// neither) a spinner and the time elapsed.
type progressOpts struct {
	bytes bool // the steps are bytes
	count bool // show the steps done and their rate
	// dataOnStdout: the command writes its result to stdout; the bar is
	// then drawn only when stdout is not a terminal, so that it does not
	// mix with the result on the screen.
	dataOnStdout bool
	// source, when set, is the count of steps done, read instead of the
	// progress's own.
	source *atomic.Int64
}

// startProgress starts showing the progress of work described by desc,
// with total steps (< 0: unknown, a spinner with a count). Call Done when
// the work ends.
func (a *app) startProgress(desc string, total int64, o progressOpts) *progress {
	p := &progress{}
	p.total.Store(total)
	if !a.showsProgress(o) {
		return p
	}
	p.stop, p.finished = make(chan struct{}), make(chan struct{})
	go p.draw(a.stderr, desc, o)
	return p
}

// shown reports whether a bar is drawn (or will be, once the work lasts).
func (p *progress) shown() bool { return p.stop != nil }

// reader returns r counting the bytes read through it into p when a bar is
// drawn; else r as it is, so that nothing changes where no bar is shown
// (a file keeps the kernel's copy paths). What r can Seek (a file), the
// result can: a retry that rewinds counts from there again.
func (p *progress) reader(r io.Reader) io.Reader {
	if !p.shown() {
		return r
	}
	if s, ok := r.(io.ReadSeeker); ok {
		return seekingCounter{counter{s, p}, s}
	}
	return counter{r, p}
}

// counter counts the bytes read through it into a progress.
type counter struct {
	r io.Reader
	p *progress
}

func (c counter) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.p.Add(int64(n))
	return n, err
}

// seekingCounter is a counter over a reader that can Seek; the count
// follows the position.
type seekingCounter struct {
	counter
	s io.Seeker
}

func (c seekingCounter) Seek(offset int64, whence int) (int64, error) {
	pos, err := c.s.Seek(offset, whence)
	if err == nil {
		c.p.Set(pos)
	}
	return pos, err
}

// showsProgress reports whether startProgress with o draws a bar: not
// with -q, only on a terminal, and not over a result on the screen.
func (a *app) showsProgress(o progressOpts) bool {
	return !a.quiet && a.terminal(a.stderr) && !(o.dataOnStdout && a.terminal(a.stdout))
}

// Add counts n more steps done.
func (p *progress) Add(n int64) { p.done.Add(n) }

// Set sets the steps done.
func (p *progress) Set(n int64) { p.done.Store(n) }

// SetTotal sets the number of steps of the work.
func (p *progress) SetTotal(n int64) { p.total.Store(n) }

// Done removes the bar, if one was drawn, and returns once it is gone.
func (p *progress) Done() {
	if p.stop == nil {
		return
	}
	close(p.stop)
	<-p.finished
	p.stop = nil
}

func (p *progress) draw(w io.Writer, desc string, o progressOpts) {
	defer close(p.finished)
	delay := time.NewTimer(progressDelay)
	select {
	case <-p.stop:
		delay.Stop()
		return
	case <-delay.C:
	}
	bar := newBar(w, desc, p.total.Load(), o)
	tick := time.NewTicker(progressTick)
	defer tick.Stop()
	max := p.total.Load()
	for {
		if t := p.total.Load(); t != max && t > 0 {
			bar.ChangeMax64(t)
			max = t
		}
		done := p.done.Load()
		if o.source != nil {
			done = o.source.Load()
		}
		_ = bar.Set64(done)
		select {
		case <-p.stop:
			_ = bar.Finish()
			_ = bar.Clear()
			_ = bar.Exit()
			return
		case <-tick.C:
		}
	}
}

// newBar returns a bar of total steps (a spinner when total is unknown)
// that erases itself when finished.
func newBar(w io.Writer, desc string, total int64, o progressOpts) *progressbar.ProgressBar {
	if total <= 0 {
		total = -1
	}
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(progressTick),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSpinnerType(14),
		progressbar.OptionSetRenderBlankState(true),
	}
	switch {
	case o.bytes:
		// Bytes done of the total, the rate, and the time left.
		opts = append(opts, progressbar.OptionShowBytes(true), progressbar.OptionUseIECUnits(true), progressbar.OptionShowCount())
	case o.count:
		opts = append(opts, progressbar.OptionShowCount(), progressbar.OptionShowIts())
	}
	return progressbar.NewOptions64(total, opts...)
}
