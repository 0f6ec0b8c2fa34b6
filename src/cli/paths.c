/* Made by make from the configured folders. */
extern const char lr_conf_bindir[], lr_conf_pkgdatadir[],
    lr_conf_srcdir[];
const char lr_conf_bindir[] = "/usr/local/bin";
const char lr_conf_pkgdatadir[] = "/usr/local/share/latentroll";
const char lr_conf_srcdir[] = "/work/main";
