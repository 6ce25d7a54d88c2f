// SPDX-License-Identifier: GPL-2.0
// Hostile writes to sysfs attributes: boundary numbers, sizes with every suffix, algorithm
// names, overlong and binary strings, in a seeded random order. Each write either succeeds or
// fails with an errno; the kernel's log (checked by the test runner) must stay clean.
//   sysfs-fuzz --writes N --seed S FILE...
// Prints "sysfs-fuzz: writes=<N> accepted=<A> refused=<R> vanished=<V>"; vanished counts
// writes that found their file gone (its device removed), which are not writes at all.
#include "cli.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <limits>
#include <random>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

const std::vector<std::string> kValues = {
	"", "\n", " ", "0", "1", "-1", "+1", "2", "7", "4096", "4095", "65536", "077", "0x10",
	"2147483647", "2147483648", "4294967295", "4294967296", "-2147483648",
	"9223372036854775807", "9223372036854775808", "18446744073709551615",
	"18446744073709551616", "123456789012345678901234567890", "1K", "1M", "1G", "1T", "1P",
	"1E", "16E", "17179869184G", "16777216T", "64P", "0K", "1k", "1g", "1G\n", " 1G", "1 G",
	"1GG", "1.5G", "-1G", "lz4", "lz4\n", "lz4hc", "zstd", "lzo", "lzo-rle", "deflate",
	"842", "lz5", "zstd zstd", "all", "idle", "huge", "huge_idle", "incompressible",
	"type=huge", "algo=zstd", "priority=1", "level=3", "/dev/null", "none",
};

std::string random_value(std::mt19937_64 &rng)
{
	switch (rng() % 4) {
	case 0: { // binary garbage, possibly with NULs
		std::string s(rng() % 64 + 1, '\0');
		for (auto &c : s)
			c = static_cast<char>(rng());
		return s;
	}
	case 1: // longer than a page
		return std::string(4096 + rng() % 64, static_cast<char>('0' + rng() % 10));
	case 2: // a random number with a random suffix
		return std::to_string(rng() >> (rng() % 64)) + std::string(1, "KMGTPE \n"[rng() % 8]);
	default:
		return kValues[rng() % kValues.size()];
	}
}

} // namespace

int main(int argc, char **argv)
{
	long writes = 1000;
	unsigned long seed = 1;
	std::vector<std::string> files;
	CLI::App app{"Hostile writes to sysfs attributes, in a seeded random order.", "sysfs-fuzz"};
	mtetag::cli::last_value_wins(app);
	app.add_option("--writes", writes, "writes in all")
		->check(CLI::Range(1L, std::numeric_limits<long>::max()))
		->capture_default_str();
	app.add_option("--seed", seed, "seed of the order and the values")->capture_default_str();
	// Every FILE, with options allowed between them as before.
	app.add_option("FILE", files, "attributes to write to")
		->required()
		->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
	if (auto rc = mtetag::cli::parse_or_exit(app, argc, argv))
		return *rc;
	std::mt19937_64 rng(seed);
	long accepted = 0, refused = 0, vanished = 0;
	for (long n = 0; n < writes; n++) {
		// Every boundary value to every file first, then random values to random files.
		const bool boundary = n < static_cast<long>(kValues.size() * files.size());
		const std::string &file = files[boundary ? n % files.size() : rng() % files.size()];
		const std::string value = boundary ? kValues[n / files.size()] : random_value(rng);
		int fd = open(file.c_str(), O_WRONLY);
		if (fd < 0) {
			vanished++;
			continue;
		}
		if (write(fd, value.data(), value.size()) == static_cast<ssize_t>(value.size()))
			accepted++;
		else
			refused++;
		close(fd);
	}
	std::printf("sysfs-fuzz: writes=%ld accepted=%ld refused=%ld vanished=%ld\n", accepted + refused,
		    accepted, refused, vanished);
	return 0;
}
