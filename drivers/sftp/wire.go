package sftp

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sync"
)

// wire sits between pkg/sftp and the pipes of the SFTP subsystem. It counts
// the requests the client sends (for the tests that check the requests per
// call), and it lets the driver send its own requests on the same session,
// several at once and in a guaranteed order (pkg/sftp sends one request per
// call and waits for its answer): the driver's requests carry ids with the
// top bit set, which pkg/sftp's counter never reaches, and their answers are
// taken out of the stream before pkg/sftp reads it.
type wire struct {
	w io.WriteCloser
	r io.Reader

	mu   sync.Mutex
	idle *sync.Cond // broadcast when an outgoing packet is complete
	head []byte     // the start of an outgoing packet whose header is not all written
	rest int        // bytes of the current outgoing packet still to come
	werr error      // the write error that broke the stream
	sent counts     // requests and rounds sent

	// The reading side; only pkg/sftp's receiving goroutine reads.
	buf     []byte // a packet for pkg/sftp, in a buffer reused for the next
	pending []byte // what pkg/sftp has not read of buf

	rmu     sync.Mutex
	nextID  uint32
	waiting map[uint32]chan answer
	dead    chan struct{} // closed when reading failed
	rerr    error
}

// counts are the packets the client sent, by SFTP packet type, and the
// rounds (round trips): writes that started at least one packet whose
// answer is waited for, the driver's pipelined requests being written at
// once.
type counts struct {
	types  [256]int64
	rounds int64
}

// answer is a reply to one of the driver's own requests.
type answer struct {
	typ  byte
	data []byte  // after the id
	buf  *[]byte // data's buffer, from dataBufs
}

// dataBufs holds the buffers of the DATA answers to READs of readChunk
// bytes, which a stream gives back (release) once it has read them, so
// that a stream reads in the same few buffers however long it is.
var dataBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4+readChunk); return &b }}

// newAnswer copies the answer of type typ and its data, which the next
// packet overwrites; a DATA answer of at least a quarter of readChunk
// goes into a buffer of dataBufs (a smaller one, the answer of a small
// Load, into one of its size).
func newAnswer(typ byte, data []byte) answer {
	if typ != fxpData || len(data) < readChunk/4 || len(data) > 4+readChunk {
		return answer{typ: typ, data: append([]byte(nil), data...)}
	}
	b := dataBufs.Get().(*[]byte)
	return answer{typ: typ, data: append((*b)[:0], data...), buf: b}
}

// release gives a's buffer back for the next answers; a's data is not
// to be read after.
func (a *answer) release() {
	if a.buf != nil {
		*a.buf = a.data[:0]
		dataBufs.Put(a.buf)
		a.buf, a.data = nil, nil
	}
}

// SFTP packet types and status codes (draft-ietf-secsh-filexfer-02).
const (
	fxpOpen     = 3
	fxpClose    = 4
	fxpRead     = 5
	fxpWrite    = 6
	fxpFstat    = 8
	fxpRemove   = 13
	fxpExtended = 200
	fxpVersion  = 2
	fxpStatus   = 101
	fxpHandle   = 102
	fxpData     = 103
	fxpAttrs    = 105

	fxOK               = 0
	fxEOF              = 1
	fxNoSuchFile       = 2
	fxPermissionDenied = 3

	pflagRead  = 0x01
	pflagWrite = 0x02
	pflagCreat = 0x08
	pflagExcl  = 0x20
)

// ownID marks the ids of the driver's own requests.
const ownID = 1 << 31

// maxPacket bounds a packet from the server, as pkg/sftp does.
const maxPacket = 256*1024 + 1024

// errProtocol is an answer that does not parse.
var errProtocol = errors.New("sftp: malformed answer")

func newWire(r io.Reader, w io.WriteCloser) *wire {
	x := &wire{w: w, r: r, nextID: ownID, waiting: map[uint32]chan answer{}, dead: make(chan struct{})}
	x.idle = sync.NewCond(&x.mu)
	return x
}

// Write passes pkg/sftp's bytes on, counting its packets.
func (x *wire) Write(p []byte) (int, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.count(p, true)
	n, err := x.w.Write(p)
	if err != nil && x.werr == nil {
		x.werr = err
	}
	if x.rest == 0 && len(x.head) == 0 || x.werr != nil {
		x.idle.Broadcast()
	}
	return n, err
}

// Close closes the subsystem's input. It waits for a write under way (its
// own requests are written under x.mu, outside pkg/sftp's lock): the ssh
// channel's CloseWrite must not run beside a Write. The driver closes the
// ssh connection first, which ends a write that waits on a hung link.
func (x *wire) Close() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.w.Close()
}

// count follows the packets in p, one of the writes that send them; a
// write that starts a packet and whose answers are waited for is a round.
func (x *wire) count(p []byte, waits bool) {
	started := false
	for len(p) > 0 {
		if x.rest > 0 {
			n := min(x.rest, len(p))
			x.rest -= n
			p = p[n:]
			continue
		}
		n := min(5-len(x.head), len(p))
		x.head = append(x.head, p[:n]...)
		p = p[n:]
		if len(x.head) < 5 {
			break
		}
		x.sent.types[x.head[4]]++
		started = true
		x.rest = int(binary.BigEndian.Uint32(x.head)) - 1
		x.head = x.head[:0]
	}
	if started && waits {
		x.sent.rounds++
	}
}

// counted returns the counts so far.
func (x *wire) counted() counts {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.sent
}

// Read gives pkg/sftp the server's packets, less the answers to the
// driver's own requests, which it hands to their waiters.
func (x *wire) Read(p []byte) (int, error) {
	for len(x.pending) == 0 {
		pkt, err := x.readPacket()
		if err != nil {
			x.fail(err)
			return 0, err
		}
		if typ := pkt[4]; typ != fxpVersion && len(pkt) >= 9 {
			if id := binary.BigEndian.Uint32(pkt[5:9]); id&ownID != 0 {
				x.deliver(id, newAnswer(typ, pkt[9:]))
				continue
			}
		}
		x.pending = pkt
	}
	n := copy(p, x.pending)
	x.pending = x.pending[n:]
	return n, nil
}

// readPacket reads one whole packet, its length included.
func (x *wire) readPacket() ([]byte, error) {
	if cap(x.buf) < 4 {
		x.buf = make([]byte, 4, 64*1024)
	}
	b := x.buf[:4]
	if _, err := io.ReadFull(x.r, b); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(b)
	if n < 1 || n > maxPacket {
		return nil, fmt.Errorf("%w: packet of %d bytes", errProtocol, n)
	}
	if cap(x.buf) < 4+int(n) {
		x.buf = append(x.buf[:4], make([]byte, n)...)
	}
	b = x.buf[:4+n]
	if _, err := io.ReadFull(x.r, b[4:]); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return b, nil
}

func (x *wire) deliver(id uint32, a answer) {
	x.rmu.Lock()
	ch := x.waiting[id]
	delete(x.waiting, id)
	x.rmu.Unlock()
	if ch != nil {
		ch <- a
	}
}

func (x *wire) fail(err error) {
	x.rmu.Lock()
	defer x.rmu.Unlock()
	if x.rerr == nil {
		x.rerr = err
		close(x.dead)
	}
}

// request is one of the driver's own requests: its type, the fields after
// the id, and data sent after them (a WRITE's value).
type request struct {
	typ    byte
	fields []byte
	data   []byte
	noWait bool // its answer is not waited for (a CLOSE of a file read)
}

// call sends the requests at once, in their order, and returns their
// answers. The server handles them in that order; none waits for the
// answer to the one before. A broken connection is an error wrapping
// io.ErrUnexpectedEOF, which the driver takes for a broken connection.
func (x *wire) call(ctx context.Context, reqs ...request) ([]answer, error) {
	chans := make([]chan answer, len(reqs))
	size, waits := 0, false
	for i, r := range reqs {
		size += 9 + len(r.fields) + len(r.data)
		if !r.noWait {
			waits = true
			chans[i] = make(chan answer, 1)
		}
	}
	buf := make([]byte, 0, size)
	for _, r := range reqs {
		buf = appendRequest(buf, r)
	}
	if err := x.send(buf, chans, waits); err != nil {
		return nil, err
	}
	out := make([]answer, len(reqs))
	for i, ch := range chans {
		if ch == nil {
			continue
		}
		a, err := x.wait(ctx, ch)
		if err != nil {
			return nil, err
		}
		out[i] = a
	}
	return out, nil
}

// appendRequest appends the packet of r to b, its id left for send to
// fill in.
func appendRequest(b []byte, r request) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(5+len(r.fields)+len(r.data)))
	b = append(b, r.typ, 0, 0, 0, 0)
	b = append(b, r.fields...)
	return append(b, r.data...)
}

// send writes buf, whole request packets as appendRequest makes them, at
// once: it gives each packet the next id, and registers the channel of
// the same index in wait (with room for one answer; nil: the answer is
// not waited for) to receive its answer. round says whether the write
// counts as a round. The caller may reuse buf when send returns.
func (x *wire) send(buf []byte, wait []chan answer, round bool) error {
	x.rmu.Lock()
	if x.rerr != nil {
		x.rmu.Unlock()
		return fmt.Errorf("sftp: connection lost: %w", io.ErrUnexpectedEOF)
	}
	for i, p := 0, buf; len(p) >= 9; i++ {
		id := x.nextID
		x.nextID++
		if x.nextID == 0 {
			x.nextID = ownID
		}
		binary.BigEndian.PutUint32(p[5:9], id)
		if wait[i] != nil {
			x.waiting[id] = wait[i]
		}
		p = p[4+binary.BigEndian.Uint32(p):]
	}
	x.rmu.Unlock()

	x.mu.Lock()
	for (x.rest > 0 || len(x.head) > 0) && x.werr == nil {
		x.idle.Wait()
	}
	err := x.werr
	if err == nil {
		x.count(buf, round)
		if _, err = x.w.Write(buf); err != nil {
			x.werr = err
			x.idle.Broadcast()
		}
	}
	x.mu.Unlock()
	if err != nil {
		return fmt.Errorf("sftp: send: %w: %w", io.ErrUnexpectedEOF, err)
	}
	return nil
}

// wait returns the answer that ch receives, or fails when the connection
// breaks or ctx ends first.
func (x *wire) wait(ctx context.Context, ch chan answer) (answer, error) {
	select {
	case a := <-ch:
		return a, nil
	case <-x.dead:
		return answer{}, fmt.Errorf("sftp: connection lost: %w", io.ErrUnexpectedEOF)
	case <-ctx.Done():
		return answer{}, ctx.Err()
	}
}

// str appends an SFTP string to b.
func str(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// statusError is a status answer that is not OK, as an error like
// pkg/sftp's: fs.ErrNotExist and fs.ErrPermission for those codes, io.EOF
// for end of file.
func statusError(a answer) error {
	if a.typ != fxpStatus || len(a.data) < 4 {
		return fmt.Errorf("%w: packet type %d, want a status", errProtocol, a.typ)
	}
	code := binary.BigEndian.Uint32(a.data)
	msg := ""
	if len(a.data) >= 8 {
		if n := binary.BigEndian.Uint32(a.data[4:]); int(n) <= len(a.data)-8 {
			msg = string(a.data[8 : 8+n])
		}
	}
	switch code {
	case fxOK:
		return nil
	case fxEOF:
		return io.EOF
	case fxNoSuchFile:
		return fmt.Errorf("sftp: %q: %w", msg, fs.ErrNotExist)
	case fxPermissionDenied:
		return fmt.Errorf("sftp: %q: %w", msg, fs.ErrPermission)
	}
	return fmt.Errorf("sftp: %q (status %d)", msg, code)
}

// handleOf returns the handle of an OPEN's answer.
func handleOf(a answer) (string, error) {
	if a.typ != fxpHandle {
		return "", statusError(a)
	}
	if len(a.data) < 4 {
		return "", errProtocol
	}
	n := binary.BigEndian.Uint32(a.data)
	if int(n) > len(a.data)-4 || n > 256 {
		return "", errProtocol
	}
	return string(a.data[4 : 4+n]), nil
}

func openReq(path string, pflags uint32) request {
	f := str(nil, path)
	f = binary.BigEndian.AppendUint32(f, pflags)
	f = binary.BigEndian.AppendUint32(f, 0) // no attributes
	return request{typ: fxpOpen, fields: f}
}

func writeReq(handle string, off int64, data []byte) request {
	f := str(nil, handle)
	f = binary.BigEndian.AppendUint64(f, uint64(off))
	f = binary.BigEndian.AppendUint32(f, uint32(len(data)))
	return request{typ: fxpWrite, fields: f, data: data}
}

func readReq(handle string, off int64, n int) request {
	f := str(nil, handle)
	f = binary.BigEndian.AppendUint64(f, uint64(off))
	f = binary.BigEndian.AppendUint32(f, uint32(n))
	return request{typ: fxpRead, fields: f}
}

func fstatReq(handle string) request { return request{typ: fxpFstat, fields: str(nil, handle)} }

// attrsOf returns the size of an FSTAT's answer and whether it is a
// directory.
func attrsOf(a answer) (size int64, dir bool, err error) {
	if a.typ != fxpAttrs {
		return 0, false, statusError(a)
	}
	b := a.data
	if len(b) < 4 {
		return 0, false, errProtocol
	}
	flags := binary.BigEndian.Uint32(b)
	b = b[4:]
	if flags&1 == 0 || len(b) < 8 {
		return 0, false, fmt.Errorf("%w: attributes without the size", errProtocol)
	}
	size = int64(binary.BigEndian.Uint64(b))
	b = b[8:]
	if flags&2 != 0 { // uid, gid
		if len(b) < 8 {
			return 0, false, errProtocol
		}
		b = b[8:]
	}
	if flags&4 != 0 && len(b) >= 4 {
		dir = binary.BigEndian.Uint32(b)&0o170000 == 0o040000
	}
	if size < 0 {
		return 0, false, errProtocol
	}
	return size, dir, nil
}

// dataOf returns the data of a READ's answer; end of file is io.EOF.
func dataOf(a answer) ([]byte, error) {
	if a.typ != fxpData {
		if err := statusError(a); err != nil {
			return nil, err
		}
		return nil, errProtocol
	}
	if len(a.data) < 4 {
		return nil, errProtocol
	}
	n := binary.BigEndian.Uint32(a.data)
	if int(n) > len(a.data)-4 {
		return nil, errProtocol
	}
	return a.data[4 : 4+n], nil
}

func closeReq(handle string) request { return request{typ: fxpClose, fields: str(nil, handle)} }

func removeReq(path string) request { return request{typ: fxpRemove, fields: str(nil, path)} }

func extReq(name string, args ...string) request {
	f := str(nil, name)
	for _, a := range args {
		f = str(f, a)
	}
	return request{typ: fxpExtended, fields: f}
}
