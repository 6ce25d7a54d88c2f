// SPDX-License-Identifier: GPL-2.0
// What the units run: create the device, set it up (zram-generator's --setup-device, plus
// the waits that udev's probes make necessary), reset it, recompress it; and the command line
// that picks one of them or the generator itself.
#include "generator.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ostream>
#include <thread>

namespace fs = std::filesystem;

namespace mtetag_generator {

namespace {

const fs::path kBlock = "sys/block";
const fs::path kControl = "sys/class/mtetag-control";
constexpr std::chrono::milliseconds kBusyPoll{50};
constexpr const char *kUsage = "mtetag-generator NORMAL_DIR [EARLY_DIR LATE_DIR], or "
			       "mtetag-generator --{create,setup,reset,recompress}-device mtetagN";

Error errno_error(const std::string &what, int errnum)
{
	return Error(what + ": " + std::strerror(errnum), errnum);
}

std::string command_line(const std::vector<std::string> &argv)
{
	std::string line;
	for (const std::string &arg : argv)
		line += (line.empty() ? "" : " ") + arg;
	return line;
}

void run_or_throw(const System &sys, const std::vector<std::string> &argv)
{
	const int status = sys.run(argv);
	if (status)
		throw Error(command_line(argv) + " failed with exit status " +
			    std::to_string(status));
}

// Runs @attempt again while it fails with EBUSY or EWOULDBLOCK, for at most @patience: udev
// probes a new or changed device by opening it, which makes reset refuse with EBUSY, and
// holds its shared lock while it does.
template <typename Attempt> void retry_while_busy(std::chrono::milliseconds patience,
						   Attempt attempt)
{
	const auto deadline = std::chrono::steady_clock::now() + patience;
	for (;;) {
		try {
			attempt();
			return;
		} catch (const Error &e) {
			if ((e.errnum != EBUSY && e.errnum != EWOULDBLOCK) ||
			    std::chrono::steady_clock::now() >= deadline)
				throw;
		}
		std::this_thread::sleep_for(kBusyPoll);
	}
}

// The lock that systemd and udev agree on for block devices: flock(LOCK_EX) on the device
// node. While it is held udev leaves the device alone (and probes it once it is released), so
// it never sees half-written attributes or a half-made file system.
class DeviceLock {
public:
	explicit DeviceLock(const fs::path &node) : fd_(::open(node.c_str(), O_RDONLY | O_CLOEXEC))
	{
		if (fd_ < 0)
			throw errno_error(node.string(), errno);
		if (::flock(fd_, LOCK_EX | LOCK_NB) < 0) {
			const int saved = errno;
			::close(fd_);
			throw errno_error(node.string() + ": lock", saved);
		}
	}
	~DeviceLock() { ::close(fd_); }
	DeviceLock(const DeviceLock &) = delete;
	DeviceLock &operator=(const DeviceLock &) = delete;

private:
	int fd_;
};

void write_algorithms(const Context &ctx, const Device &dev)
{
	const System &sys = ctx.system;
	const fs::path attrs = kBlock / dev.name;
	for (std::size_t prio = 0; prio < dev.algorithms.chain.size(); prio++) {
		const Algorithm &algo = dev.algorithms.chain[prio];
		const fs::path attr = attrs / (prio ? "recomp_algorithm" : "comp_algorithm");
		const std::string priority = std::to_string(prio);
		const std::string selection =
			prio ? "algo=" + algo.name + " priority=" + priority : algo.name;
		try {
			sys.write(attr, selection);
		} catch (const Error &e) {
			if (e.errnum != EINVAL)
				throw;
			// As zram-generator: a name the kernel does not know is a warning, not a
			// failure; the device keeps the algorithm it had.
			ctx.log << "mtetag-generator: " << dev.name << ": algorithm " << algo.name
				<< " not recognised; see " << sys.path(attr).string()
				<< " for the available ones" << std::endl;
			continue;
		}
		if (algo.params.empty())
			continue;
		const std::string params = "priority=" + priority + " " + algo.params;
		try {
			sys.write(attrs / "algorithm_params", params);
		} catch (const Error &e) {
			ctx.log << "mtetag-generator: " << dev.name << ": algorithm_params \""
				<< params << "\" not written: " << e.what() << std::endl;
		}
	}
}

void reset_device(const Context &ctx, const std::string &name)
{
	retry_while_busy(ctx.busy_patience,
			 [&] { ctx.system.write(kBlock / name / "reset", "1"); });
}

// Loaded as a module, every device comes up initialised (disksize=auto): start from a reset.
// Then, under the device lock, in the order the driver needs: the backing device and the
// algorithms before disksize, which initialises the device; then the swap signature or the
// file system.
void setup_device(const Context &ctx, const Device &dev)
{
	const System &sys = ctx.system;
	const fs::path attrs = kBlock / dev.name;
	const fs::path node = sys.path("dev") / dev.name;
	// Let udev finish with the events it has; busybox systems have no udevadm, and a settle
	// that times out is covered by the retries below.
	sys.run({"udevadm", "settle", "--timeout=10"});
	reset_device(ctx, dev.name);
	std::optional<DeviceLock> lock;
	retry_while_busy(ctx.busy_patience, [&] { lock.emplace(node); });
	if (dev.writeback_device)
		sys.write(attrs / "backing_dev", *dev.writeback_device);
	write_algorithms(ctx, dev);
	sys.write(attrs / "mem_limit", std::to_string(dev.mem_limit));
	sys.write(attrs / "disksize", std::to_string(dev.disksize));
	if (dev.is_swap())
		run_or_throw(sys, {ctx.mkswap, node.string()});
	else
		run_or_throw(sys, {"mkfs." + dev.effective_fs_type(), node.string()});
}

// modprobe when the driver is not there yet (built in, it is); hot_add when it was loaded
// with fewer devices. hot_add takes the lowest free id, so id + 1 reads always reach ours.
void create_device(const Context &ctx, const Device &dev, unsigned num_devices)
{
	const System &sys = ctx.system;
	// disksize=0: devices come up uninitialised, as zram's, leaving udev nothing to probe
	// before the set-up resets them.
	if (!sys.exists(kControl))
		run_or_throw(sys, {"modprobe", "mtetag",
				   "num_devices=" + std::to_string(num_devices), "disksize=0"});
	for (unsigned added = 0; !sys.exists(kBlock / dev.name); added++) {
		if (added > dev.id)
			throw Error("hot_add did not create " + dev.name);
		sys.read(kControl / "hot_add");
	}
}

// recompress takes options only on an initialised device, so zram-generator's write of them
// at set-up time fails; here they are written on request (a timer, see the man page).
void recompress_device(const Context &ctx, const Device &dev)
{
	if (dev.algorithms.recompress.empty()) {
		ctx.log << "mtetag-generator: " << dev.name
			<< ": no recompress options configured (a bare \"(...)\" in "
			   "compression-algorithm), nothing to do"
			<< std::endl;
		return;
	}
	ctx.system.write(kBlock / dev.name / "recompress", dev.algorithms.recompress);
}

const Device &configured_device(const Config &config, const std::string &name)
{
	for (const Device &dev : config.devices) {
		if (dev.name == name)
			return dev;
	}
	throw Error(name + ": not configured (or disabled) in mtetag-generator.conf");
}

Config read_config_and_report(const Context &ctx)
{
	Config config = read_config(ctx.config_root);
	for (const std::string &message : config.messages)
		ctx.log << "mtetag-generator: " << message << std::endl;
	return config;
}

void generate(const Context &ctx, const Config &config, const fs::path &dir)
{
	if (config.devices.empty())
		return;
	// As zram-generator: a container cannot load modules or own block devices.
	const bool container = !ctx.test_mode &&
		ctx.system.run({"systemd-detect-virt", "--quiet", "--container"}) == 0;
	if (container) {
		ctx.log << "mtetag-generator: running in a container, no units" << std::endl;
		return;
	}
	write_units(dir, generate_units(config.devices, ctx.self));
}

void run_device_mode(const Context &ctx, const std::string &mode, const std::string &name)
{
	if (mode != "--create-device" && mode != "--setup-device" && mode != "--reset-device" &&
	    mode != "--recompress-device")
		throw Error(mode + ": unknown option; usage: " + kUsage);
	if (!device_id(name))
		throw Error(name + ": not an mtetag device name (mtetagN)");
	if (mode == "--reset-device") {
		reset_device(ctx, name);
		return;
	}
	const Config config = read_config_and_report(ctx);
	const Device &dev = configured_device(config, name);
	if (mode == "--create-device")
		create_device(ctx, dev, config.devices.back().id + 1); // devices are in id order
	else if (mode == "--setup-device")
		setup_device(ctx, dev);
	else
		recompress_device(ctx, dev);
}

} // namespace

std::string System::read(const fs::path &rel) const
{
	const fs::path p = path(rel);
	const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		throw errno_error(p.string(), errno);
	std::string text;
	char buf[4096];
	for (;;) {
		const ssize_t n = ::read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			const int saved = errno;
			::close(fd);
			throw errno_error(p.string(), saved);
		}
		if (n == 0)
			break;
		text.append(buf, static_cast<std::size_t>(n));
	}
	::close(fd);
	return text;
}

void System::write(const fs::path &rel, std::string_view value) const
{
	const fs::path p = path(rel);
	// O_TRUNC for a test's regular files; sysfs ignores it.
	const int fd = ::open(p.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		throw errno_error(p.string(), errno);
	ssize_t n;
	do
		n = ::write(fd, value.data(), value.size());
	while (n < 0 && errno == EINTR);
	const int saved = errno;
	::close(fd);
	if (n < 0)
		throw errno_error(p.string() + ": write \"" + std::string(value) + "\"", saved);
	if (static_cast<std::size_t>(n) != value.size())
		throw errno_error(p.string(), EIO);
}

bool System::exists(const fs::path &rel) const
{
	std::error_code ec;
	return fs::exists(path(rel), ec);
}

int System::run(const std::vector<std::string> &argv) const
{
	std::vector<char *> args;
	for (const std::string &arg : argv)
		args.push_back(const_cast<char *>(arg.c_str()));
	args.push_back(nullptr);
	pid_t pid;
	if (::posix_spawnp(&pid, args[0], nullptr, nullptr, args.data(), environ) != 0)
		return 127;
	int status;
	while (::waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			throw errno_error("waitpid", errno);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int run(const std::vector<std::string> &args, const Context &ctx)
{
	try {
		if (args.size() == 2 && args[0].starts_with("--"))
			run_device_mode(ctx, args[0], args[1]);
		else if ((args.size() == 1 || args.size() == 3) && !args[0].starts_with("-"))
			generate(ctx, read_config_and_report(ctx), args[0]);
		else
			throw Error(std::string("usage: ") + kUsage);
		return 0;
	} catch (const std::exception &e) {
		ctx.log << "mtetag-generator: " << e.what() << std::endl;
		return 1;
	}
}

} // namespace mtetag_generator
