// What peerchat prints of a peer's text: valid UTF-8 as it is, controls and broken bytes
// escaped, so that no peer can drive the reader's terminal.
#include <netlab/peerchat/display.hpp>

#include <gtest/gtest.h>

#include <string>

namespace {

using netlab::peerchat::printable;
using netlab::peerchat::printable_excerpt;

TEST(Display, TextAndUtf8AreKept) {
    EXPECT_EQ(printable("hello, world"), "hello, world");
    EXPECT_EQ(printable("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
              "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    EXPECT_EQ(printable("\xc2\xa0"), "\xc2\xa0"); // U+00A0, the first after C1, is text
    EXPECT_EQ(printable(""), "");
}

TEST(Display, ControlsAreEscaped) {
    EXPECT_EQ(printable("\x9b"
                        "31m"),
              "\\x9b31m"); // a raw CSI byte
    EXPECT_EQ(printable("\xc2\x9b"
                        "31m"),
              "\\xc2\\x9b31m");                                       // CSI as UTF-8 (U+009B)
    EXPECT_EQ(printable("\xc2\x80\xc2\x9f"), "\\xc2\\x80\\xc2\\x9f"); // both ends of C1
    EXPECT_EQ(printable("a\x1b[2Jb\x7f"), "a\\x1b[2Jb\\x7f");         // C0 and DEL too
    EXPECT_EQ(printable(std::string{"a\0b", 3}), "a\\x00b");
}

TEST(Display, InvalidUtf8IsEscapedByteByByte) {
    EXPECT_EQ(printable("\xc0\xaf"), "\\xc0\\xaf");                   // overlong '/'
    EXPECT_EQ(printable("\xe0\x80\xaf"), "\\xe0\\x80\\xaf");          // overlong, 3 bytes
    EXPECT_EQ(printable("\xed\xa0\x80"), "\\xed\\xa0\\x80");          // a surrogate
    EXPECT_EQ(printable("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80"); // beyond U+10FFFF
    EXPECT_EQ(printable("\xe2\x82"), "\\xe2\\x82");                   // cut short
    EXPECT_EQ(printable("\x80x"), "\\x80x");                          // a stray continuation
    EXPECT_EQ(printable("\xe2\x82x\xc3\xa9"), "\\xe2\\x82x\xc3\xa9"); // resynchronises
}

TEST(Display, ExcerptCountsCharactersAndMarksTheCut) {
    EXPECT_EQ(printable_excerpt("short", 40), "short");
    EXPECT_EQ(printable_excerpt(std::string(40, 'x'), 40), std::string(40, 'x'));
    EXPECT_EQ(printable_excerpt(std::string(41, 'x'), 40), std::string(40, 'x') + "...");
    // Characters, not bytes: never a cut inside a UTF-8 sequence.
    EXPECT_EQ(printable_excerpt("\xc3\xa9\xc3\xa9\xc3\xa9", 2), "\xc3\xa9\xc3\xa9...");
    EXPECT_EQ(printable_excerpt("\x9b\x9b", 1), "\\x9b...");
}

} // namespace
