package wire

// keySet records which known keys of a map were present.
type keySet map[string]bool

// add records key.
func (s *keySet) add(key string) {
	if *s == nil {
		*s = keySet{}
	}
	(*s)[key] = true
}

// has reports whether every one of keys was recorded.
func (s keySet) has(keys ...string) bool {
	for _, k := range keys {
		if !s[k] {
			return false
		}
	}
	return true
}
