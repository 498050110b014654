#include "app/cli.hpp"

int main(int argc, char** argv) { return runagents::cli::run(argc, argv); }
