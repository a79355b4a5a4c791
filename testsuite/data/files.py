# python3 in the guest (kml.trusted/apps.exp): reads, lists, forks and
# computes with nothing but the interpreter's built-in modules.
import os
import sys

data = sys.argv[1]
with open(os.path.join(data, "words.txt")) as f:
    words = f.read().split()
print(len(words), sorted(words)[:3], max(words, key=len))
print(sorted(os.listdir(os.path.join(data, "tree"))))
pid = os.fork()
if pid == 0:
    os._exit(len(words))
print("child", os.WEXITSTATUS(os.waitpid(pid, 0)[1]))
print(sum(i * i for i in range(200000)))
print({w: len(w) for w in words[:4]})
