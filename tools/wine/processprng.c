/* bcryptprimitives.dll's ProcessPrng for Wine 8, which lacks it: Rust's standard library (python-calamine,
   cryptography) imports it for random bytes on Windows 10+. Real Windows has it; this shim is for CI only.
   Built by tools/wine/setup: x86_64-w64-mingw32-gcc -shared -o bcryptprimitives.dll processprng.c -lbcrypt */
#include <windows.h>
#include <bcrypt.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T size)
{
    return BCRYPT_SUCCESS(BCryptGenRandom(NULL, data, (ULONG)size, BCRYPT_USE_SYSTEM_PREFERRED_RNG));
}
