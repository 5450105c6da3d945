// libFuzzer's main() runs the fuzz targets (and make_seeds has its own),
// but Debian's libsystemc.so carries a main() that calls sc_main, so the
// linker wants one. Nothing calls it: the platform the SystemC targets
// build needs nothing sc_main's caller sets up. (SystemC declares it
// extern "C".)
extern "C" int sc_main(int, char**) {
  return 1;
}
