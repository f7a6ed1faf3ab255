/* COBS decoding in place. The write index always trails the read index (each block's
 * code byte is replaced by at most one zero), so one buffer is enough. */
#include "packetclip/protocol.h"

long pc_cobs_decode(uint8_t *buf, size_t len)
{
    size_t r = 0, w = 0;
    while (r < len) {
        uint8_t code = buf[r++];
        size_t i;
        if (code == 0 || (size_t)(code - 1u) > len - r)
            return -1;
        for (i = 1; i < code; i++) {
            uint8_t b = buf[r++];
            if (b == 0)
                return -1;
            buf[w++] = b;
        }
        if (code != 0xFF && r < len)
            buf[w++] = 0;
    }
    return (long)w;
}
