// SPDX-License-Identifier: GPL-2.0
// zram-size's arithmetic: the part of zram-generator's expression language (fasteval) that
// sizes are written in. Anything else is refused with where it stops, never misread.
#include "generator.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace mtetag_generator {

class Expression::Parser {
public:
	explicit Parser(std::string_view text) : text_(text) {}

	Node parse()
	{
		Node node = sum();
		skip_space();
		if (pos_ != text_.size())
			fail(std::string("unexpected '") + text_[pos_] + "'");
		return node;
	}

private:
	using Kind = Node::Kind;

	static Node combine(Kind kind, Node left, Node right)
	{
		Node node(kind);
		node.operands.push_back(std::move(left));
		node.operands.push_back(std::move(right));
		return node;
	}

	// sum := product (('+' | '-') product)*
	Node sum()
	{
		Node left = product();
		while (char op = next_of("+-")) {
			Node right = product();
			left = combine(op == '+' ? Kind::Add : Kind::Subtract, std::move(left),
				       std::move(right));
		}
		return left;
	}

	// product := unary (('*' | '/') unary)*
	Node product()
	{
		Node left = unary();
		while (char op = next_of("*/")) {
			Node right = unary();
			left = combine(op == '*' ? Kind::Multiply : Kind::Divide, std::move(left),
				       std::move(right));
		}
		return left;
	}

	// unary := ('-' | '+') unary | primary
	Node unary()
	{
		char op = next_of("+-");
		if (!op)
			return primary();
		Node operand = unary();
		if (op == '+')
			return operand;
		Node negated(Kind::Negate);
		negated.operands.push_back(std::move(operand));
		return negated;
	}

	// primary := number | "ram" | ("min" | "max") "(" sum ("," sum)* ")" | "(" sum ")"
	Node primary()
	{
		skip_space();
		if (pos_ == text_.size())
			fail("the expression ends early");
		const unsigned char c = text_[pos_];
		if (c == '(') {
			pos_++;
			Node inner = sum();
			expect(')');
			return inner;
		}
		if (std::isdigit(c) || c == '.')
			return number();
		if (std::isalpha(c))
			return name();
		fail(std::string("unexpected '") + text_[pos_] + "'");
	}

	// The character at @pos_ is one of @chars or, with @alnum, a letter or digit.
	bool at(std::string_view chars, bool alnum) const
	{
		if (pos_ == text_.size())
			return false;
		const unsigned char c = text_[pos_];
		return chars.find(c) != std::string_view::npos ||
		       (alnum ? std::isalnum(c) : std::isdigit(c));
	}

	Node number()
	{
		const std::size_t start = pos_;
		while (at(".", false))
			pos_++;
		double value = 0;
		auto [end, ec] = std::from_chars(text_.data() + start, text_.data() + pos_, value,
						 std::chars_format::fixed);
		if (ec != std::errc() || end != text_.data() + pos_) {
			pos_ = start;
			fail("not a number");
		}
		return Node(Kind::Number, value);
	}

	Node name()
	{
		const std::size_t start = pos_;
		while (at("_", true))
			pos_++;
		const std::string_view word = text_.substr(start, pos_ - start);
		if (word == "ram")
			return Node(Kind::Ram);
		if (word != "min" && word != "max") {
			pos_ = start;
			fail("unknown name '" + std::string(word) +
			     "' (ram, min() and max() are known)");
		}
		Node node(word == "min" ? Kind::Min : Kind::Max);
		expect('(');
		do
			node.operands.push_back(sum());
		while (next_of(","));
		expect(')');
		return node;
	}

	void skip_space()
	{
		while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_])))
			pos_++;
	}

	// The next character if it is one of @chars, consumed; else 0.
	char next_of(std::string_view chars)
	{
		skip_space();
		if (pos_ == text_.size() || chars.find(text_[pos_]) == std::string_view::npos)
			return 0;
		return text_[pos_++];
	}

	void expect(char c)
	{
		if (!next_of(std::string_view(&c, 1)))
			fail(std::string("expected '") + c + "'");
	}

	[[noreturn]] void fail(const std::string &why) const
	{
		throw Error("\"" + std::string(text_) + "\": " + why + " at column " +
			    std::to_string(pos_ + 1));
	}

	std::string_view text_;
	std::size_t pos_ = 0;
};

Expression::Expression(std::string_view text) : text_(text), root_(Parser(text).parse()) {}

double Expression::evaluate(double ram_mib) const
{
	return evaluate(root_, ram_mib);
}

double Expression::evaluate(const Node &node, double ram_mib)
{
	const auto operand = [&](std::size_t i) { return evaluate(node.operands[i], ram_mib); };
	switch (node.kind) {
	case Node::Kind::Number:
		return node.number;
	case Node::Kind::Ram:
		return ram_mib;
	case Node::Kind::Negate:
		return -operand(0);
	case Node::Kind::Add:
		return operand(0) + operand(1);
	case Node::Kind::Subtract:
		return operand(0) - operand(1);
	case Node::Kind::Multiply:
		return operand(0) * operand(1);
	case Node::Kind::Divide:
		return operand(0) / operand(1);
	case Node::Kind::Min:
	case Node::Kind::Max:
		break;
	}
	double result = operand(0);
	for (std::size_t i = 1; i < node.operands.size(); i++)
		result = node.kind == Node::Kind::Min ? std::min(result, operand(i))
						      : std::max(result, operand(i));
	return result;
}

} // namespace mtetag_generator
