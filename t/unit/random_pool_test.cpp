// util::random_bytes draws small requests from a per-thread pool filled by
// one RAND_bytes call (util/crypto.cpp): no byte may ever be handed out
// twice, across draws, threads and a fork.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "util/crypto.h"

using oauth::util::random_bytes;

TEST(RandomPool, DrawsHaveTheirLengthAndNeverRepeat) {
    std::set<std::string> seen;
    for (int i = 0; i < 20000; i++) {
        std::string b = random_bytes(16);
        ASSERT_EQ(b.size(), 16u);
        ASSERT_NE(b, std::string(16, '\0'));  // a wiped byte handed out would show
        ASSERT_TRUE(seen.insert(b).second) << "draw " << i << " repeated";
    }
    for (size_t n : {0, 1, 15, 31, 32, 33, 64, 65, 200, 1024, 5000})
        EXPECT_EQ(random_bytes(n).size(), n);
}

TEST(RandomPool, MixedSizesNeverOverlap) {
    // Consecutive draws of odd sizes straddle refills; 8-byte windows of all
    // of them must stay distinct (a reused stretch of the pool would repeat).
    std::set<std::string> windows;
    for (int i = 0; i < 3000; i++) {
        std::string b = random_bytes(8 + static_cast<size_t>(i % 57));
        for (size_t at = 0; at + 8 <= b.size(); at += 8)
            ASSERT_TRUE(windows.insert(b.substr(at, 8)).second) << "draw " << i;
    }
}

TEST(RandomPool, ThreadsDrawDistinctBytes) {
    std::mutex m;
    std::set<std::string> seen;
    bool repeated = false;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; t++) {
        threads.emplace_back([&] {
            std::vector<std::string> mine;
            for (int i = 0; i < 3000; i++) mine.push_back(random_bytes(16));
            std::lock_guard lock(m);
            for (auto& b : mine) repeated = repeated || !seen.insert(b).second;
        });
    }
    for (auto& th : threads) th.join();
    EXPECT_FALSE(repeated);
    EXPECT_EQ(seen.size(), 12000u);
}

TEST(RandomPool, ForkedChildDoesNotReuseTheParentsPool) {
    // The parent's pool holds unused bytes when it forks (as nginx's master
    // may before its workers start); the child must not hand out the same.
    random_bytes(16);
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        std::string b = random_bytes(16);
        ssize_t w = write(fds[1], b.data(), b.size());
        _exit(w == 16 ? 0 : 1);
    }
    std::string mine = random_bytes(16);
    char buf[16];
    ASSERT_EQ(read(fds[0], buf, sizeof(buf)), 16);
    int status = 0;
    waitpid(pid, &status, 0);
    close(fds[0]);
    close(fds[1]);
    EXPECT_EQ(status, 0);
    EXPECT_NE(std::string(buf, 16), mine);
}
