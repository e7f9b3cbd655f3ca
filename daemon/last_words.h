/* What jigd says when the kernel kills it with SIGBUS, so that a station
 * that dies of its disk does not die silently. */
#ifndef JIGD_LAST_WORDS_H
#define JIGD_LAST_WORDS_H

/* Installs the SIGBUS handler; the sentence names data_dir. */
void last_words_install(const char *data_dir);

#endif
