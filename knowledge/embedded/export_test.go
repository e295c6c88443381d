package embedded

// TakeAllSlots occupies every search slot of ix until release is called.
func TakeAllSlots(ix *Index) (release func()) {
	for range cap(ix.slots) {
		ix.slots <- struct{}{}
	}
	return func() {
		for range cap(ix.slots) {
			<-ix.slots
		}
	}
}
