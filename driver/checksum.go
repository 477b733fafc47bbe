package driver

import "hash/crc32"

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Checksum returns the CRC-32C (Castagnoli) of a frame document, the value
// carried in Meta.Checksum. Drivers verify it on every read.
func Checksum(data []byte) uint32 {
	return crc32.Checksum(data, castagnoli)
}
