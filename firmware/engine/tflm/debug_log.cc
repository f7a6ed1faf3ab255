// TFLM's log hook, silenced: the serial link carries only protocol frames, and TFLM's
// default implementation would pull printf into the image.
#include <cstdarg>
#include <cstddef>

extern "C" void DebugLog(const char *format, va_list args)
{
    (void)format;
    (void)args;
}

extern "C" int DebugVsnprintf(char *buffer, size_t buf_size, const char *format, va_list vlist)
{
    (void)format;
    (void)vlist;
    if (buf_size)
        buffer[0] = '\0';
    return 0;
}
