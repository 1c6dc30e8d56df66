package env

import (
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"
)

// session holds the episodes of one client. A connection has one session;
// when the connection drops, the session outlives it for the resume grace
// period, and a later connection that says hello with the session's token
// takes it over, episodes and all. Episodes belong to sessions, so a step
// still running when its connection dropped finishes into the same books.
type session struct {
	token string

	mu       sync.Mutex
	conn     *conn           // the attached connection; nil while detached
	running  map[string]bool // episodes still running
	finished []string        // finished episodes, oldest first
	owned    map[string]bool // every episode held
	reserved int             // resets in progress
	expiry   *time.Timer     // set while detached
	ended    bool            // its episodes were released; it cannot be resumed
}

func newSession(c *conn) (*session, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	return &session{token: hex.EncodeToString(b[:]), conn: c, running: map[string]bool{}, owned: map[string]bool{}}, nil
}

// owns reports whether the session holds an episode.
func (s *session) owns(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.owned[id]
}

// reserve books a slot for a reset, unless max episodes are running.
func (s *session) reserve(max int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.running)+s.reserved >= max {
		return false
	}
	s.reserved++
	return true
}

// started turns a reservation into a running episode (id "" when the reset failed).
func (s *session) started(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reserved--
	if id != "" {
		s.running[id] = true
		s.owned[id] = true
	}
}

// markFinished moves an episode to the finished list and returns the oldest
// finished episodes beyond retain, which the caller releases.
func (s *session) markFinished(id string, retain int) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.running[id] {
		return nil
	}
	delete(s.running, id)
	s.finished = append(s.finished, id)
	var evict []string
	for len(s.finished) > retain {
		old := s.finished[0]
		s.finished = s.finished[1:]
		if s.owned[old] {
			delete(s.owned, old)
			evict = append(evict, old)
		}
	}
	return evict
}

// forget drops a closed episode from the books.
func (s *session) forget(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.running, id)
	delete(s.owned, id)
}

// release empties the session for good and returns what it held, the
// running episodes first flagged.
func (s *session) release() (owned map[string]bool, running map[string]bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ended = true
	owned, running = s.owned, s.running
	s.owned, s.running, s.finished = map[string]bool{}, map[string]bool{}, nil
	if s.expiry != nil {
		s.expiry.Stop()
		s.expiry = nil
	}
	return owned, running
}

// absorb moves another session's episodes into s (a connection that reset
// episodes before it resumed an older session keeps them).
func (s *session) absorb(o *session) {
	owned, running := o.release()
	s.mu.Lock()
	defer s.mu.Unlock()
	for id := range owned {
		s.owned[id] = true
		if running[id] {
			s.running[id] = true
		} else {
			s.finished = append(s.finished, id)
		}
	}
}

// episodes lists the held episode ids.
func (s *session) episodes() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.owned))
	for id := range s.owned {
		ids = append(ids, id)
	}
	return ids
}

// releaseSession releases a session's episodes: running ones are abandoned
// (their partial trajectories recorded), finished ones closed.
func (srv *Server) releaseSession(s *session) {
	srv.mu.Lock()
	if srv.sessions[s.token] == s {
		delete(srv.sessions, s.token)
	}
	srv.mu.Unlock()
	owned, running := s.release()
	for id := range owned {
		if running[id] {
			srv.engine.Abandon(id)
		} else {
			_, _ = srv.engine.Close(id)
		}
	}
}

// detach is called when connection c has ended. If c still holds its
// session, the session waits ResumeGrace for a resume, then is released;
// without a grace period, or while the server drains, it is released now.
func (srv *Server) detach(c *conn) {
	s := c.session()
	s.mu.Lock()
	if s.conn != c || s.ended {
		s.mu.Unlock() // taken over by a resume, or released already
		return
	}
	s.conn = nil
	grace := srv.cfg.ResumeGrace
	if grace <= 0 || srv.draining.Load() {
		s.mu.Unlock()
		srv.releaseSession(s)
		return
	}
	s.expiry = time.AfterFunc(grace, func() {
		s.mu.Lock()
		resumed := s.conn != nil || s.ended
		s.mu.Unlock()
		if !resumed {
			srv.log.Debug("resume grace over; releasing episodes", "episodes", len(s.episodes()))
			srv.releaseSession(s)
		}
	})
	s.mu.Unlock()
}

// resume hands the session with token to connection c, whose own session's
// episodes join it. A connection still attached to that session (a
// half-open socket the server has not noticed yet) is dropped.
func (srv *Server) resume(c *conn, token string) ([]ResumedEpisode, *Error) {
	srv.mu.Lock()
	s := srv.sessions[token]
	srv.mu.Unlock()
	mine := c.session()
	if s == nil {
		return nil, errorf(CodeUnknownSession, "no session to resume: it expired (the grace period is %s) or was never issued by this server", srv.cfg.ResumeGrace)
	}
	if s == mine {
		return nil, errorf(CodeBadRequest, "this connection already holds that session")
	}
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return nil, errorf(CodeUnknownSession, "no session to resume: its episodes were released")
	}
	old := s.conn
	s.conn = c
	if s.expiry != nil {
		s.expiry.Stop()
		s.expiry = nil
	}
	s.mu.Unlock()
	if old != nil {
		srv.log.Debug("resume takes over a connection still open", "old", old.String())
		old.abort()
	}
	s.absorb(mine)
	srv.mu.Lock()
	delete(srv.sessions, mine.token)
	srv.mu.Unlock()
	c.setSession(s)
	var out []ResumedEpisode
	for _, id := range s.episodes() {
		if r, ok := srv.engine.Resumed(id); ok {
			out = append(out, r)
		}
	}
	return out, nil
}
