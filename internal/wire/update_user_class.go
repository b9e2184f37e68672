package wire

import "github.com/vmihailenco/msgpack/v5"

// UpdateUserClass is the data of update_user_class (master to worker,
// since 2.21): web-UI settings for one user class.
type UpdateUserClass struct {
	// UserClassName names the class.
	UserClassName string
	// Settings are the other keys in wire order, e.g. weight, fixed_count,
	// host and tasks (a list of task names).
	Settings Map
}

// MessageType returns TypeUpdateUserClass.
func (UpdateUserClass) MessageType() string { return TypeUpdateUserClass }

// MarshalData encodes {"user_class_name", settings...}.
func (u UpdateUserClass) MarshalData() (msgpack.RawMessage, error) {
	w := newWriter()
	w.mapLen(1 + len(u.Settings))
	w.str("user_class_name")
	w.str(u.UserClassName)
	for _, it := range u.Settings {
		k, ok := it.Key.(string)
		if !ok || k == "user_class_name" {
			w.fail(invalidf("update_user_class: bad settings key %v", it.Key))
		}
		w.str(k)
		w.value(it.Value, 1)
	}
	return w.raw()
}

// DecodeUpdateUserClass decodes update_user_class data; user_class_name is
// required.
func DecodeUpdateUserClass(data msgpack.RawMessage) (UpdateUserClass, error) {
	r, err := newReader(data)
	if err != nil {
		return UpdateUserClass{}, err
	}
	var u UpdateUserClass
	var seen keySet
	err = r.fields("update_user_class", func(key string) error {
		seen.add(key)
		if key == "user_class_name" {
			var err error
			u.UserClassName, err = r.str("update_user_class.user_class_name")
			return err
		}
		v, err := r.value(keyPath("update_user_class", key), true)
		u.Settings = append(u.Settings, MapItem{Key: key, Value: v})
		return err
	})
	if err != nil {
		return UpdateUserClass{}, err
	}
	if !seen.has("user_class_name") {
		return UpdateUserClass{}, invalidf("update_user_class: missing user_class_name")
	}
	return u, nil
}
