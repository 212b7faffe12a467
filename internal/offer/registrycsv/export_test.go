package registrycsv

// SetAfterBatch makes the importer call f after each batch it commits.
func SetAfterBatch(im *Importer, f func(batch int)) { im.afterBatch = f }
