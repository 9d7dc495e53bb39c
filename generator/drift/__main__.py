import sys

from generator.drift import main

sys.exit(main())
