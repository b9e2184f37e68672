package herdws

// Waiting is how many Requests and Awaits wait on c's connection, so tests
// can send what an Await waits for only once it waits.
func Waiting(c *Conn) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur == nil {
		return 0
	}
	return len(c.cur.waiters)
}
