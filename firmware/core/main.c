/* The main loop shared by every port: read what has arrived, answer, idle. */
#include "packetclip/engine.h"
#include "packetclip/hal.h"
#include "packetclip/protocol.h"

void pc_main(void)
{
    pc_hal_init();
    pc_core_init();
    (void)pc_engine_init(); /* a failed init shows up as ERROR ENGINE on each INFER */
    pc_core_boot();
    for (;;) {
        int c = pc_hal_read_byte();
        if (c < 0) {
            pc_hal_idle();
        } else {
            uint8_t b = (uint8_t)c;
            pc_core_feed(&b, 1);
        }
    }
}
